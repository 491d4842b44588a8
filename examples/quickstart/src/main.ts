console.log('datapact quickstart')
